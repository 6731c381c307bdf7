"""Product photos for the demo marketplace, drawn with Pillow: a studio shot of a described piece.

The demo listings need photos that look like jewellery without shipping any: each seeded piece
gets a picture drawn from its description (category, metal and its colour, stones), on a soft
paper backdrop, with the metal in a reflective gradient of its own colour, faceted stones with
highlights and a soft shadow. The same description and `seed` always give the same bytes; the
seed varies the backdrop's hue, the angle and the design's details, so pieces do not all look
alike. A different `view` shows the same piece turned further or closer.

The piece is drawn at twice the photo's size and halved (that is the antialiasing). Every shape
is a polygon through one pen that turns it about the piece's middle, which is far cheaper than
turning the finished picture. The result is a JPEG, as a maker's camera would give it: the
media pipeline treats it like any other upload.

The package's modules: `model` (what a photo shows), `colours`, `backdrop`, `geometry`, `studio`
(the brushes), `bands_and_chains` and `small_pieces` (the drawings), `render` (the entry point).
"""

from services.media.demo_photos.model import PHOTO_SIZE, VIEWS, Piece, Stone, View
from services.media.demo_photos.render import CATEGORIES, render_product_photo

__all__ = ["CATEGORIES", "PHOTO_SIZE", "VIEWS", "Piece", "Stone", "View", "render_product_photo"]
