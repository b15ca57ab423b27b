// 2D helpers shared by the shape library.

// A rectangle with rounded corners, lower left corner at the origin.
module rounded_square(size, r, fn = 24) {
    rr = min(r, size[0] / 2, size[1] / 2);
    if (rr <= 0) {
        square(size);
    } else {
        translate([rr, rr]) offset(r = rr, $fn = fn) square([size[0] - 2 * rr, size[1] - 2 * rr]);
    }
}

// The profile of an inside fillet of radius r in the corner at the origin.
module fillet_profile(r, fn = 24) {
    difference() {
        square(r);
        translate([r, r]) circle(r = r, $fn = fn);
    }
}
