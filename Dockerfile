# smm production image: one image for web (gunicorn), worker and scheduler (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SMM_VAR_DIR=/var/lib/smm
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /app smm && mkdir -p /var/lib/smm && chown smm /var/lib/smm
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY --chown=smm . .
# collectstatic needs settings but no database or secrets of the deployment.
RUN SECRET_KEY=build-only-collectstatic-key-000000000000000000000000 ALLOWED_HOSTS=build \
    CREDENTIALS_KEYS=YnVpbGQtb25seS1jb2xsZWN0c3RhdGljLWtleS0wMDA= \
    DATABASE_URL=postgresql://build@localhost/build python manage.py collectstatic --noinput -v 0
USER smm
EXPOSE 8000
CMD ["gunicorn", "smm.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
