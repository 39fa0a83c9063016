"""Charts drawn on the server as SVG: no script, no chart library, nothing loaded from elsewhere.

Each chart is a dict the template macros in admin/_charts.html draw, with the figures behind it
as table rows (shown under a disclosure, for screen readers and for anyone who wants the numbers).
"""

from __future__ import annotations

import datetime as dt

WIDTH, HEIGHT = 600, 160
SPARK_WIDTH, SPARK_HEIGHT = 120, 28


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def line_chart(days, series, *, maximum=None, show=str, width=WIDTH, height=HEIGHT) -> dict:
    """`series`: [(css key, label, {day: value})]; a day without a value leaves a gap in the line.
    `enough` is False when no series has values on two days: one dot is not a trend."""
    step = width / max(1, len(days) - 1)
    values = [v for _key, _label, by_day in series for v in by_day.values() if v is not None]
    top = maximum if maximum is not None else max(values, default=0) or 1
    drawn = []
    for key, label, by_day in series:
        points = [(round(i * step, 1), round(height - (by_day[day] / top) * height, 1), day, by_day[day])
                  for i, day in enumerate(days) if by_day.get(day) is not None]
        drawn.append({"key": key, "label": label, "points": points,
                      "line": " ".join(f"{x},{y}" for x, y, _day, _value in points)})
    enough = any(len({p[2] for p in line["points"]}) >= 2 for line in drawn)
    rows = [(day, [show(by_day[day]) if by_day.get(day) is not None else "–" for _k, _l, by_day in series])
            for day in days if any(by_day.get(day) is not None for _k, _l, by_day in series)]
    return {"width": width, "height": height, "series": drawn, "enough": enough, "top": show(top),
            "start": days[0] if days else None, "end": days[-1] if days else None, "rows": rows,
            "labels": [label for _key, label, _by_day in series]}


def sparkline(days, counts) -> dict:
    """A gap's visits per day, small enough for a table row."""
    return line_chart(days, [("visits", "", {day: counts.get(day, 0) for day in days})],
                      width=SPARK_WIDTH, height=SPARK_HEIGHT)
