"""Colours of the showcase's badges (sectors, SDGs) and the text drawn on them."""

import functools


@functools.lru_cache(maxsize=256)
def contrasting_text_color(background: str) -> str:
    """Black or white, whichever contrasts more (WCAG relative luminance) with `background` (#RRGGBB)."""
    try:
        rgb = [int(background.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    except (ValueError, AttributeError):
        return "#000000"
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"
