package secrets

import (
	"crypto/rand"
	"math/big"
	"strings"
)

// Character classes of GetRandomPassword, as Secrets Manager defines them.
const (
	lowercase   = "abcdefghijklmnopqrstuvwxyz"
	uppercase   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	numbers     = "0123456789"
	punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
)

// RandomPassword implements GetRandomPassword locally with crypto/rand.
func RandomPassword(p PasswordPolicy) (string, error) {
	n := p.Length
	if n == 0 {
		n = 32
	}
	if n < 1 || n > 4096 {
		return "", errorf(ErrInvalidRequest, nil, "password length %d out of range 1..4096", n)
	}
	var classes []string
	add := func(excluded bool, set string) {
		if excluded {
			return
		}
		set = strings.Map(func(r rune) rune {
			if strings.ContainsRune(p.ExcludeCharacters, r) {
				return -1
			}
			return r
		}, set)
		if set != "" {
			classes = append(classes, set)
		}
	}
	add(p.ExcludeLowercase, lowercase)
	add(p.ExcludeUppercase, uppercase)
	add(p.ExcludeNumbers, numbers)
	add(p.ExcludePunctuation, punctuation)
	add(!p.IncludeSpace, " ")
	if len(classes) == 0 {
		return "", errorf(ErrInvalidRequest, nil, "password policy excludes every character")
	}
	if p.RequireEachIncludedType && n < len(classes) {
		return "", errorf(ErrInvalidRequest, nil, "password length %d is shorter than the %d required character classes", n, len(classes))
	}
	all := strings.Join(classes, "")
	out := make([]byte, 0, n)
	if p.RequireEachIncludedType {
		for _, c := range classes {
			out = append(out, c[pick(len(c))])
		}
	}
	for len(out) < n {
		out = append(out, all[pick(len(all))])
	}
	// Shuffle so the required characters are not always first.
	for i := len(out) - 1; i > 0; i-- {
		j := pick(i + 1)
		out[i], out[j] = out[j], out[i]
	}
	return string(out), nil
}

func pick(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic("secrets: crypto/rand failed: " + err.Error())
	}
	return int(v.Int64())
}
