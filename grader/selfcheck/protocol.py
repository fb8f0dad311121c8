"""What the kernel side and the worker both name: settings passed along with each request."""

# Settings a notebook may change after the worker started; each request carries the kernel's.
PASSED_ENV = ("GRADE_COURSE", "GRADE_SELFCHECK_PACK", "GRADE_LANG", "XDG_CACHE_HOME")
