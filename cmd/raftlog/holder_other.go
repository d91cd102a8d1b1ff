//go:build !unix

package main

import "os"

// processExists: os.FindProcess opens a handle on Windows, and fails when
// there is no such process.
func processExists(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
