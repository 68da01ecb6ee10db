"""The dashboard: server-rendered pages (Jinja2) for staff, with htmx for the interactive bits and
Chart.js for charts, both vendored under static/vendor (no CDN, no build step).

Pages call the areas' handlers (writes, one transaction each) and service/query functions (reads),
like the API does; they never read another area's tables. Every page needs a logged-in user
(`session.py`), every form carries the session's CSRF token, and every action names the permission
it needs: what a role may not do is not shown, and refused with 403 if posted anyway."""
