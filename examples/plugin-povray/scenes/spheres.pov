// Three spheres on a checkered floor: renders in about a second at 320x240.
#include "colors.inc"

camera { location <0, 2, -6> look_at <0, 0.8, 0> }
light_source { <4, 8, -6> color White }
light_source { <-6, 4, -3> color rgb 0.4 }

plane { y, 0 pigment { checker color rgb 0.9 color rgb 0.3 } }
sphere { <-1.6, 0.8, 0>, 0.8 pigment { color Red } finish { phong 0.8 } }
sphere { < 0.0, 0.8, 0.8>, 0.8 pigment { color Green } finish { reflection 0.2 } }
sphere { < 1.6, 0.8, 0>, 0.8 pigment { color Blue } finish { phong 0.8 } }
