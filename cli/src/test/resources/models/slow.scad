// Renders in a few seconds with OpenSCAD 2021.01: CGAL unions of many spheres.
n = 14;
union() for (i = [0:n-1]) translate([i * 3, 0, 0]) sphere(r = 2.5, $fn = 24);
