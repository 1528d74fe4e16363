//go:build darwin || freebsd || netbsd || openbsd

package mmapio

const populate = 0
