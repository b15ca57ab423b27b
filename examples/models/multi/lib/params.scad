// Bracket dimensions (mm). Included by bracket.scad, so these are customizer parameters there and
// can be overridden by a parameter set in bracket.json or with -D.

width = 30;        // [10:100]
height = 25;       // [10:100]
depth = 20;        // [10:60]
thickness = 3;     // [1.5:0.5:8]
hole_d = 4.2;      // [2:0.1:10]
fillet = 4;        // [0:0.5:10]
with_logo = true;
