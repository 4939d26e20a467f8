"""Publishing services, one topic module each (the area is past the size of one services.py):

posts.py       compose, save, schedule, queue, reschedule, cancel (the composer and calendar)
validation.py  what each network would refuse or change, checked before anything is scheduled
links.py       UTM parameters and short links
queues.py      queue slots, next free slot, blackouts, posting rhythm
engine.py      claim due targets, run attempts, recover and reconcile (exactly once)
media.py       the media library
imports.py     CSV batches
feeds.py       RSS/Atom autopublish
"""
