"""What a designer checks on a drawn chart, as functions that return sentences (empty: nothing found).

Each check reads a figure as it would be saved by ``charts.save``: the house style saves the figure's own
frame (``savefig.bbox`` 'standard', no tight crop), so a text that runs past the figure's edge is cut off
in the file, and the frame is the size asked for. Positions are read in display pixels after one
``fig.canvas.draw()`` at the resolution the files are saved at (text drawn at a low resolution is wider
than the layout measured it, by up to a tenth of an inch for Chinese labels, and would fail where the
saved file does not): text extents from the renderer, data from each artist's own transform.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
from matplotlib.collections import LineCollection, PathCollection, PolyCollection, QuadMesh
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle
from matplotlib.transforms import Bbox

from diffusion.charts import SAVE_STYLE

SAVE_DPI = SAVE_STYLE["savefig.dpi"]

TOLERANCE_PX = 1.0   # rounding of text extents; less than a pixel outside is not a cut


def draw(fig, dpi: float = SAVE_DPI):
    """Draw the figure once, at the resolution it is saved at; returns the renderer."""
    fig.set_dpi(dpi)
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def _label(text) -> str:
    words = " ".join(text.get_text().split())
    return words if len(words) <= 48 else words[:45] + "..."


def _drawn_ticklabels(axis):
    """Tick labels of the ticks inside the axis's view (the locator also returns some outside it)."""
    low, high = sorted(axis.get_view_interval())
    span = (high - low) or 1.0
    labels = []
    for major in (True, False):
        locs = axis.get_majorticklocs() if major else axis.get_minorticklocs()
        ticks = axis.get_major_ticks(len(locs)) if major else axis.get_minor_ticks(len(locs))
        for tick, loc in zip(ticks, locs):
            if low - 1e-9 * span <= loc <= high + 1e-9 * span:
                labels += [label for label in (tick.label1, tick.label2) if label.get_visible()]
    return labels


class Drawn:
    """One drawn figure's texts with their extents (display pixels), by kind and owner, read once."""

    def __init__(self, fig, renderer):
        self.fig, self.renderer = fig, renderer
        self.items = []   # (text, extent, owner axes or None, kind)
        for text in fig.texts:
            self._add(text, None, "figure")
        for legend in fig.legends:
            for text in (*legend.get_texts(), legend.get_title()):
                self._add(text, None, "legend")
        for ax in fig.axes:
            if not ax.get_visible():
                continue
            for title in (ax.title, ax._left_title, ax._right_title):
                self._add(title, ax, "title")
            for text in ax.texts:
                self._add(text, ax, "annotation")
            if ax.axison:
                for axis, kind in ((ax.xaxis, "xtick"), (ax.yaxis, "ytick")):
                    if axis.get_visible():
                        self._add(axis.label, ax, "label")
                        self._add(axis.get_offset_text(), ax, "label")
                        for label in _drawn_ticklabels(axis):
                            self._add(label, ax, kind)
            legend = ax.get_legend()
            if legend is not None and legend.get_visible():
                for text in (*legend.get_texts(), legend.get_title()):
                    self._add(text, ax, "legend")

    def _add(self, text, owner, kind):
        if text.get_visible() and text.get_text().strip():
            self.items.append((text, text.get_window_extent(self.renderer), owner, kind))


def clipped_texts(drawn: Drawn) -> list[str]:
    """Texts that run past the figure's edge (cut off in the saved file)."""
    frame, dpi = drawn.fig.bbox, drawn.fig.dpi
    problems = []
    for text, box, _, _ in drawn.items:
        over = {"left": frame.x0 - box.x0, "right": box.x1 - frame.x1, "bottom": frame.y0 - box.y0,
                "top": box.y1 - frame.y1}
        side, by = max(over.items(), key=lambda item: item[1])
        if by > TOLERANCE_PX:
            problems.append(f"text {_label(text)!r} is cut off at the {side} edge ({by / dpi:.2f} in past it)")
    return problems


def overlapping_titles(drawn: Drawn) -> list[str]:
    """Titles (of panels and of the figure) that run into another panel's title, tick labels or plot, or
    into one another."""
    titles = [(text, _shrunk(box, TOLERANCE_PX), owner) for text, box, owner, kind in drawn.items
              if kind in ("title", "figure")]
    others = [(text, box, owner) for text, box, owner, kind in drawn.items if kind in ("title", "xtick", "ytick")]
    plots = [ax for ax in drawn.fig.axes if ax.get_visible() and ax.axison]
    problems = []
    for title, box, owner in titles:
        hit = next((text for text, other, where in others
                    if where is not owner and text is not title and box.overlaps(other)), None)
        if hit is not None:
            problems.append(f"title {_label(title)!r} runs into {_label(hit)!r}")
            continue
        if any(ax is not owner and box.overlaps(ax.bbox) for ax in plots):
            problems.append(f"title {_label(title)!r} runs into the plot of another panel")
    return problems


def _overlap(text, box, other, box2, renderer) -> bool:
    """Whether two texts overlap: their boxes, or for labels turned by the same angle their turned boxes
    (the axis-aligned box of a turned label is far larger than its ink)."""
    angle = text.get_rotation()
    if not box.overlaps(box2):
        return False
    if angle % 90 == 0 or other.get_rotation() != angle:
        return True
    try:   # the turned, text-aligned sizes (matplotlib computes them to draw the text's box)
        (w1, h1), (w2, h2) = (t._get_layout(renderer)[2][1] for t in (text, other))
    except Exception:   # noqa: BLE001 - a matplotlib without it: the boxes decide
        return True
    theta = np.radians(angle)
    along, normal = np.array([np.cos(theta), np.sin(theta)]), np.array([-np.sin(theta), np.cos(theta)])
    gap = np.array([(box2.x0 + box2.x1 - box.x0 - box.x1) / 2, (box2.y0 + box2.y1 - box.y0 - box.y1) / 2])
    return abs(gap @ normal) < (h1 + h2) / 2 - TOLERANCE_PX and abs(gap @ along) < (w1 + w2) / 2 - TOLERANCE_PX


def overlapping_labels(drawn: Drawn) -> list[str]:
    """Tick labels of one axis that overlap one another (wrapped labels too tall for their rows, dates too
    dense to read)."""
    problems = []
    groups: dict = {}
    for text, box, owner, kind in drawn.items:
        if kind in ("xtick", "ytick"):
            groups.setdefault((id(owner), kind), []).append((text, _shrunk(box, TOLERANCE_PX)))
    for labels in groups.values():
        pairs = [(text, other) for k, (text, box) in enumerate(labels) for other, box2 in labels[k + 1:]
                 if _overlap(text, box, other, box2, drawn.renderer)]
        if pairs:
            problems.append(f"tick labels {_label(pairs[0][0])!r} and {_label(pairs[0][1])!r} overlap"
                            + (f" (and {len(pairs) - 1} more pairs on that axis)" if len(pairs) > 1 else ""))
    return problems


def _shrunk(box: Bbox, by: float) -> Bbox:
    return Bbox.from_extents(box.x0 + by, box.y0 + by, box.x1 - by, box.y1 - by)


def _is_data(artist, ax) -> bool:
    """Drawn in data coordinates: not a reference line or band across the axes (axvline, axvspan)."""
    return artist.get_visible() and artist.get_transform() == ax.transData


def _sampled(points: np.ndarray, step_px: float = 1.0) -> np.ndarray:
    """Points along a polyline in display pixels, no further apart than ``step_px`` (NaN breaks it)."""
    points = np.asarray(points, float)
    if len(points) < 2:
        return points[np.isfinite(points).all(axis=1)]
    a, b = points[:-1], points[1:]
    keep = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
    a, b = a[keep], b[keep]
    steps = np.maximum(np.ceil(np.hypot(*(b - a).T) / step_px).astype(int), 1)
    steps = np.minimum(steps, 10_000)
    segment = np.repeat(np.arange(len(a)), steps)
    fraction = (np.arange(steps.sum()) - np.repeat(np.cumsum(steps) - steps, steps)) / np.repeat(steps, steps)
    along = a[segment] + fraction[:, None] * (b - a)[segment]
    ends = points[np.isfinite(points).all(axis=1)]
    return np.concatenate([along, ends])


def data_points(ax) -> tuple[np.ndarray, list[Bbox]]:
    """Where an axes draws data, in display pixels: points along its lines, markers, polygon outlines and
    error bars, and the boxes of its bars; only what lies inside the axes (the rest is clipped)."""
    points, boxes = [np.empty((0, 2))], []
    for line in ax.get_lines():
        if not _is_data(line, ax):
            continue
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), float))
        drawn_line = line.get_linestyle() not in ("None", "none", "", " ") and len(xy) > 1
        points.append(_sampled(xy) if drawn_line else xy[np.isfinite(xy).all(axis=1)])
    for collection in ax.collections:
        if not collection.get_visible():
            continue
        if isinstance(collection, PathCollection):           # scatter: markers at the offsets
            offsets = collection.get_offset_transform().transform(np.asarray(collection.get_offsets(), float))
            points.append(offsets[np.isfinite(offsets).all(axis=1)])
        elif isinstance(collection, LineCollection) and _is_data(collection, ax):   # error bars
            for segment in collection.get_segments():
                points.append(_sampled(collection.get_transform().transform(np.asarray(segment, float))))
        elif isinstance(collection, PolyCollection) and _is_data(collection, ax):   # bands, stacked areas
            for path in collection.get_paths():
                xy = collection.get_transform().transform(path.vertices)
                points.append(_sampled(xy))
                boxes.append(("polygon", collection.get_transform().transform_path(path)))
        elif isinstance(collection, QuadMesh):
            boxes.append(collection.get_window_extent())
    for patch in ax.patches:
        if (isinstance(patch, Rectangle) and patch.get_visible() and patch.get_data_transform() == ax.transData
                and patch.get_width() and patch.get_height()):
            boxes.append(patch.get_window_extent())
    for image in ax.images:
        if isinstance(image, AxesImage) and image.get_visible():
            boxes.append(image.get_window_extent())
    xy = np.concatenate(points)
    inside = ((xy[:, 0] >= ax.bbox.x0) & (xy[:, 0] <= ax.bbox.x1) & (xy[:, 1] >= ax.bbox.y0)
              & (xy[:, 1] <= ax.bbox.y1))
    shown = [box for box in boxes if isinstance(box, tuple) or Bbox.intersection(box, ax.bbox) is not None]
    return xy[inside], shown


def legends_over_data(fig, renderer) -> list[str]:
    """Legends whose box covers plotted lines, points, bars, areas or images of their axes."""
    problems = []
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None or not legend.get_visible() or not ax.get_visible():
            continue
        window = _shrunk(legend.get_window_extent(renderer), TOLERANCE_PX)
        if Bbox.intersection(window, ax.bbox) is None:   # outside the axes: covers nothing
            continue
        xy, boxes = data_points(ax)
        covered = int(window.count_contains(xy)) if len(xy) else 0
        corners = np.array([[window.x0, window.y0], [window.x1, window.y0], [window.x0, window.y1],
                            [window.x1, window.y1], [(window.x0 + window.x1) / 2, (window.y0 + window.y1) / 2]])
        for box in boxes:
            if isinstance(box, tuple):    # a filled polygon: the legend inside it covers it
                covered += int(box[1].contains_points(corners).any())
            elif window.overlaps(box) and Bbox.intersection(window, box).width > 0.5:
                covered += 1
        if covered:
            where = " ".join((ax.get_title(loc="left") or ax.get_title() or "its axes").split())[:48]
            problems.append(f"the legend covers data of {where!r} ({covered} point(s) or shape(s) under it)")
    return problems


def has_data(ax) -> bool:
    """Whether an axes draws any data inside itself."""
    xy, boxes = data_points(ax)
    return len(xy) > 0 or len(boxes) > 0


def empty_axes(fig) -> list[str]:
    """Axes drawn with their frame and ticks but no data (an axes turned off is not drawn empty)."""
    return [f"the axes {(ax.get_title(loc='left') or ax.get_title() or k)!r} has no data"
            for k, ax in enumerate(fig.axes) if ax.get_visible() and ax.axison and not has_data(ax)]


def non_date_time_axes(fig, date_label: str | None = None, expected: bool = False) -> list[str]:
    """Time axes that are not calendar axes: on a time-series chart (``expected``) or labelled
    ``date_label``, an x axis must be a date axis ticked in months or years, never in days or clock hours."""
    problems = []
    for k, ax in enumerate(fig.axes):
        if not (ax.get_visible() and ax.axison and has_data(ax)):
            continue
        if not (expected or (date_label and ax.get_xlabel() == date_label)) or _is_colorbar(ax):
            continue
        name = ax.get_title(loc="left") or ax.get_title() or str(k)
        if not isinstance(ax.xaxis.get_major_locator(), mdates.DateLocator):
            problems.append(f"the time axis of {name!r} is not a date axis (ticks: "
                            f"{[t.get_text() for t in _drawn_ticklabels(ax.xaxis)][:4]})")
            continue
        locs = np.sort(ax.xaxis.get_majorticklocs())
        labels = [t.get_text() for t in _drawn_ticklabels(ax.xaxis)]
        if (len(locs) > 1 and np.diff(locs).min() < 28) or any(":" in label for label in labels):
            problems.append(f"the time axis of {name!r} is ticked in days or hours: {labels[:4]}")
    return problems


def _is_colorbar(ax) -> bool:
    return hasattr(ax, "_colorbar")


def wrong_frame(fig, size: str, sizes: dict, page_max_height: float = 9.0) -> list[str]:
    """A figure not of its size's frame: a slide is exactly the slide's 16:9 size; a page keeps the
    page's width and at most a printed page's text height."""
    width, height = fig.get_size_inches()
    want_width, want_height = sizes[size]
    if size == "slide" and (abs(width - want_width) > 0.01 or abs(height - want_height) > 0.01):
        return [f"a slide figure is {width:.2f} x {height:.2f} in, not the 16:9 frame {want_width:g} x "
                f"{want_height:g} in"]
    if size != "slide" and (abs(width - want_width) > 0.01 or height > page_max_height + 0.01):
        return [f"a page figure is {width:.2f} x {height:.2f} in, not {want_width:g} in wide and at most "
                f"{page_max_height:g} in high"]
    return []


def problems(fig, size: str, sizes: dict, date_label: str | None = None, time_series: bool = False,
             dpi: float = SAVE_DPI) -> list[str]:
    """Every check on one figure, after drawing it once."""
    drawn = Drawn(fig, draw(fig, dpi))
    return (wrong_frame(fig, size, sizes) + clipped_texts(drawn) + overlapping_titles(drawn) + overlapping_labels(drawn)
            + legends_over_data(fig, drawn.renderer) + empty_axes(fig) + non_date_time_axes(fig, date_label, time_series))
