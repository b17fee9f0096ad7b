package testenv

import "syscall"

// procAttr puts the server in its own process group (so cleanup kills the
// pyenv shim and python together) and asks the kernel to kill it if the test
// binary dies without running its cleanups (a timeout panic, a SIGKILL).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
