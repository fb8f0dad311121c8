"""Study-group minutes and the report site, built from the roster, meeting files and the gradebook.

- `model`    roster/meeting TOML (validated, errors with file:line), attempts, progress
- `minutes`  one meeting's minutes as a self-contained HTML page
- `site`     the static site: index, meetings, members, exercises
- `charts`   inline SVG geometry (rendered by `templates/charts.html.j2`)
- `serve`    a localhost server for a built site
- `commands` the click commands `minutes` and `site` (registered by grader.cli.app)
"""
