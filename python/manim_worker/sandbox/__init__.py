"""The render sandbox's host side: the supervisor that starts bubblewrap for one worker, and its parts.

These modules run outside the sandbox, as the service's own user, with the standard library only
(`python -I -S supervisor.py`): no site-packages, no environment.
"""
