// A rounded electronics enclosure: a shell with rounded edges (minkowski of a box and a sphere), hollowed out,
// with a grid of ventilation holes in the lid and a row in each long side. Heavy enough for CGAL to take
// 10-20 s on a 2-core machine with OpenSCAD 2021.01 (see README.md), which makes it a realistic remote render.

size = [80, 56, 30];     // outer size (mm)
wall = 2.4;
radius = 5;              // outer edge radius
hole_d = 3.2;
hole_pitch = 6.6;
side_holes = 8;          // per long side
$fn = 24;

difference() {
    rounded_box(size, radius);
    // The inside, open at the bottom.
    translate([wall, wall, -1]) rounded_box(size - [2 * wall, 2 * wall, wall - 1], radius - wall);
    lid_holes();
    side_holes();
}

module rounded_box(s, r) {
    minkowski() {
        translate([r, r, r]) cube(s - 2 * [r, r, r]);
        sphere(r = r);
    }
}

// A staggered grid of holes through the lid, keeping clear of the rounded edge.
module lid_holes() {
    nx = floor((size[0] - 2 * radius) / hole_pitch);
    ny = floor((size[1] - 2 * radius) / (hole_pitch * 0.866));
    x0 = (size[0] - (nx - 1) * hole_pitch) / 2;
    y0 = (size[1] - (ny - 1) * hole_pitch * 0.866) / 2;
    for (j = [0 : ny - 1], i = [0 : nx - 1 - (j % 2)])
        translate([x0 + i * hole_pitch + (j % 2) * hole_pitch / 2, y0 + j * hole_pitch * 0.866, size[2] - wall - 1])
            cylinder(d = hole_d, h = wall + 2);
}

// Round holes in a row along each long side, half way up.
module side_holes() {
    x0 = (size[0] - (side_holes - 1) * hole_pitch) / 2;
    for (i = [0 : side_holes - 1])
        translate([x0 + i * hole_pitch, -1, size[2] / 2]) rotate([-90, 0, 0])
            cylinder(d = hole_d, h = size[1] + 2);
}
