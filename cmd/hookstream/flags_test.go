package main

import "flag"

var update = flag.Bool("update", false, "rewrite golden content (docs/catalog.md's table)")
