"""Write Bootstrap Italia's @font-face rules as a style sheet.

Bootstrap Italia 2.x does not reference its fonts from its CSS: the JS bundle's
`bootstrap.loadFonts()` writes them into a <style> element, which the portal's
Content-Security-Policy (no inline styles) refuses. This script reads the rules
out of the bundle's font loader and writes them, with only the woff2 and woff
sources that scripts/vendor_assets.sh keeps, to a CSS file beside the vendored
CSS, whose font URLs are relative (`../fonts/...`).

Usage: python3 scripts/bootstrap_italia_fonts.py BUNDLE.js OUT.css
"""

import re
import sys

LOADER = re.compile(r"loadFonts:\(e=[^)]*\)=>\{.*?\.innerHTML=`(?P<css>.*?)`", re.DOTALL)
FACE = re.compile(r"@font-face\s*\{(?P<body>.*?)\n\s*\}", re.DOTALL)
SOURCE = re.compile(r"url\('\$\{\w+\}/(?P<path>[^']+\.(?P<format>woff2?))'\)")
DESCRIPTOR = re.compile(r"^\s*(font-family|font-style|font-weight|font-display):\s*([^;]+);", re.MULTILINE)


def font_faces(bundle: str) -> str:
    loader = LOADER.search(bundle)
    if loader is None:
        raise SystemExit("no loadFonts() template found in the bundle")
    css = loader["css"].encode().decode("unicode_escape")
    rules = []
    for face in FACE.finditer(css):
        body = face["body"]
        descriptors = [f"  {name}: {value.strip()};" for name, value in DESCRIPTOR.findall(body)]
        sources = [f"url('../fonts/{m['path']}') format('{m['format']}')" for m in SOURCE.finditer(body)]
        if not sources:
            raise SystemExit(f"an @font-face rule has no woff2/woff source:\n{body}")
        rules.append("@font-face {\n" + "\n".join(descriptors) + "\n  src: " + ",\n    ".join(sources) + ";\n}")
    if not rules:
        raise SystemExit("no @font-face rule found in the bundle's font loader")
    header = "/* Bootstrap Italia's fonts: scripts/bootstrap_italia_fonts.py, from the bundle's loadFonts(). */"
    return header + "\n" + "\n".join(rules) + "\n"


if __name__ == "__main__":
    bundle_path, out_path = sys.argv[1:3]
    with open(bundle_path, encoding="utf-8") as bundle, open(out_path, "w", encoding="utf-8") as out:
        out.write(font_faces(bundle.read()))
