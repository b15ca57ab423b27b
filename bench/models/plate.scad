// A perforated plate for the --all-sets benchmark: CGAL's time grows with the number of holes
// (OpenSCAD 2021.01, 2 cores: holes = 5 about 1.3 s, 6 about 2 s, 7 about 3 s).
holes = 6;    // holes per row and per column
fn = 16;      // facets per hole

difference() {
    cube([holes * 6 + 4, holes * 6 + 4, 3]);
    for (i = [0 : holes - 1], j = [0 : holes - 1])
        translate([5 + i * 6, 5 + j * 6, -1]) cylinder(d = 3, h = 5, $fn = fn);
}
