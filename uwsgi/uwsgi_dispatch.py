"""What each app's uWSGI file runs (uwsgi/app1.wsgi, uwsgi/app2.wsgi: the files uwsgi/lab.ini's
routes name per Host), the counterpart of apache/dispatch.wsgi: the entry the run's lab.json names
for the app (loadtest/spec.py's entry() decides it), wrapped in envleak's detector.

uWSGI loads the Host's file on its first request in a worker, in the main interpreter if it is
the worker's first app, else in a new sub-interpreter; `group` is the app's mountpoint as uWSGI's
log names it ('app2.example.com|'): the answers and the timeline name the interpreter by it.
"""

import importlib
import importlib.util
import time


def application_for(project, group, first_ran_at=None):
    first_ran_at = first_ran_at or time.time()
    from labcore import run, xray

    import envleak

    xray.first_ran(first_ran_at)
    xray.serving(group)
    entry_path = run.load()["entries"][project]
    how, where = run.how_to_load(entry_path)
    if how == "module":
        entry = importlib.import_module(where)
    else:  # make try-fix: the attendee's copy or a sample fix
        spec = importlib.util.spec_from_file_location(project + "_wsgi", where)
        entry = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(entry)
    xray.entry_loaded(entry_path)
    return envleak.wrap(entry.application, url="/envleak/")
