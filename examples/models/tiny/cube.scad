// The smallest useful render: a 20 mm cube with a through hole. Renders in well under a second.
size = 20;
hole = 8;

difference() {
    cube(size, center = true);
    cylinder(d = hole, h = size + 2, center = true, $fn = 32);
}
