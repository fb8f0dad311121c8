"""A stand-in for Colab's `google.colab`, seen only by the grader's kernel.

Notebooks written in Colab import it (`from google.colab import drive`) and call
`drive.mount(...)`; here there is no Drive, no browser and no network. Importing works
and the calls say so instead of failing, so the rest of the notebook still runs and
is graded. The real package is never installed into the grader.
"""

IN_GRADER = True
