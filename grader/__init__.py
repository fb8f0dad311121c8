"""grade: a sandboxed, bilingual notebook grader for chapter 15 of Hands-On ML."""

__version__ = "0.1.0"
