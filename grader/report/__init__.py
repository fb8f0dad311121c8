"""Study-group minutes and the report site, built from the roster, meeting files and the gradebook.

Reading the files:
- `common`   bilingual text, the group's date format, TOML read with line positions
- `roster`   `site/roster.toml` (pydantic, unknown keys refused at their line)
- `meeting`  a meeting file (the same strictness), guests, next meeting
- `notes`    the notes' Markdown: MathML, highlighted code, figures, the nh3 sanitizer

Aggregating the gradebook:
- `records`  attempts as the report reads them (inert text; never writes the gradebook)
- `progress` best scores, who handed in what, where people are stuck (`Context`)
- `figures`  that as plain data: people, exercises, cells, missed checks and concepts

Writing:
- `render`   the Jinja2 environment (autoescape) and the page strings in Korean and English
- `charts`   inline SVG geometry (rendered by `templates/charts.html.j2`)
- `minutes`  one meeting's minutes as a self-contained HTML page
- `summary`  the same meeting as a chat summary (`--format md|txt`)
- `site`     the static site: index, meetings, members, exercises
- `serve`    a localhost server for a built site
- `model`    the names other packages import (roster, meetings, attempts)
"""
