package slo

// Source is one definitions file's content, wherever it was read from (a
// directory, SSM Parameter Store).
type Source struct {
	Name string
	Data []byte
}

// ParseSources compiles the definitions of several sources together, as
// LoadFiles does for files: references resolve across them.
func ParseSources(sources []Source) ([]SLO, error) {
	d := newOsloDefs()
	for _, s := range sources {
		d.add(s.Name, s.Data)
	}
	return d.compile()
}
