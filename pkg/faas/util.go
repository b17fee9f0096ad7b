package faas

import (
	"log/slog"
)

func slogString(k, v string) slog.Attr { return slog.String(k, v) }

func levelFor(err error) slog.Level {
	if ProblemFor(err).Status < 500 {
		return slog.LevelWarn
	}
	return slog.LevelError
}
