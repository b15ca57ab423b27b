// An L bracket built from a small library in lib/ with a logo from assets/.
// Shows every kind of dependency cgrender uploads:
//   include <lib/params.scad>     the dimensions (customizer parameters, see bracket.json)
//   use <lib/shapes.scad>         the parts; shapes.scad itself includes lib/geometry/rounding.scad
//   import("../assets/logo.svg")  inside shapes.scad, relative to shapes.scad's directory
// Render one parameter set with: openscad -o small.stl -p bracket.json -P small bracket.scad

include <lib/params.scad>
use <lib/shapes.scad>

l_bracket(width, height, depth, thickness, hole_d, fillet);

if (with_logo) {
    logo_w = min(width, height) * 0.3;
    margin = max(thickness, 2);
    // On the outer face of the upright wall, in the corner beside the hole.
    translate([width - logo_w - margin, 0.01, height - logo_w - margin])
        rotate([90, 0, 0]) logo(logo_w, 0.8);
}
