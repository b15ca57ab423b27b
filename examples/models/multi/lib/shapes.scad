// The bracket's parts. Used (not included) by bracket.scad, so only its modules are visible there.
// import() below resolves relative to this file's directory, the way OpenSCAD resolves it for a used file.

include <geometry/rounding.scad>

// An L-shaped bracket: a base plate and an upright wall, joined by a fillet, each with a mounting hole.
module l_bracket(width, height, depth, thickness, hole_d, fillet) {
    difference() {
        union() {
            plate([width, depth], thickness, fillet);
            translate([0, thickness, 0]) rotate([90, 0, 0]) plate([width, height], thickness, fillet);
            if (fillet > 0) {
                translate([0, thickness, thickness]) rotate([90, 0, 90])
                    linear_extrude(width) fillet_profile(fillet);
            }
        }
        translate([width / 2, thickness + (depth - thickness) / 2, -1])
            cylinder(d = hole_d, h = thickness + 2, $fn = 32);
        translate([width / 2, -1, thickness + (height - thickness) / 2]) rotate([-90, 0, 0])
            cylinder(d = hole_d, h = thickness + 2, $fn = 32);
    }
}

module plate(size, thickness, r) {
    linear_extrude(thickness) rounded_square(size, r / 2);
}

// The logo from assets/, scaled to a square of the given width with its lower left corner at the origin,
// embossed by depth.
module logo(width, depth) {
    // resize() rather than a fixed scale: how many mm a px is depends on the OpenSCAD version's SVG dpi.
    linear_extrude(depth) resize([width, width]) import("../assets/logo.svg");
}
