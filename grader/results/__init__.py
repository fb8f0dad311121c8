"""What an attempt is, where it is kept (the gradebook) and how it leaves (export).

- `attempt`    the one attempt type (`Attempt`, `CheckResult`) and its wire form
- `gradebook`  the `Gradebook`: open, record once, read; `opening` opens the database safely
               (the engine, foreign/corrupt/newer files refused, SQLite's write lock),
               `writing` stores one attempt's rows, `schema`/`migrate` the tables
- `reading`    attempts with their checks, answers and reviews, in a window or by id
- `queries`    the figures: best attempt, counts, latest, failed checks (re-exports `reading`)
- `reviews`, `review`   review rows and their replay; the changes a reviewer makes
- `export`, `gbfile`, `transfer`, `people`, `record`, `location`   leaving and arriving
"""
