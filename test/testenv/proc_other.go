//go:build !linux

package testenv

import "syscall"

// procAttr puts the server in its own process group so cleanup kills the
// pyenv shim and python together.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
