package main

import "flag"

var update = flag.Bool("update", false, "rewrite golden content (the README's catalog table)")
