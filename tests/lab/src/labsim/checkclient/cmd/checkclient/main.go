// Command checkclient runs package checkclient against a running lab:
// checkclient DIR/lab.json. It exits 1 when something it expects is missing.
package main

import (
	"context"
	"fmt"
	"os"

	"labsim/checkclient"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: checkclient DIR/lab.json")
		os.Exit(2)
	}
	r, err := checkclient.Run(context.Background(), os.Args[1], os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "checkclient: %v\n", err)
		os.Exit(1)
	}
	if problems := r.Problems(); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "checkclient: "+p)
		}
		os.Exit(1)
	}
	fmt.Println("checkclient: all as expected")
}
