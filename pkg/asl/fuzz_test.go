package asl

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
)

// FuzzCompile feeds definitions to the compiler and runs the ones that
// compile: neither may panic, and every run must end.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`,
		`{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"$.a[0]","y.$":"States.Format('{}', $.b)"},"ResultPath":"$.r","End":true}}}`,
		`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Not":{"Variable":"$.x","StringMatches":"a*"},"Next":"D"}],"Default":"D"},"D":{"Type":"Succeed"}}}`,
		`{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.l","ItemSelector":{"v.$":"$$.Map.Item.Value"},"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
		`{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e"}}}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"S"}],"End":true},"S":{"Type":"Succeed"}}}`,
		`{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}`,
		`{`, `[]`, `{"StartAt":1}`,
	} {
		f.Add([]byte(s), []byte(`{"a":[1],"b":"x","x":"abc","l":[1,2],"e":"E","s":1}`))
	}
	if files, _ := filepath.Glob(filepath.Join("testdata", "*.asl.json")); len(files) > 0 {
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b, []byte(`{}`))
			}
		}
	}
	f.Fuzz(func(t *testing.T, def, input []byte) {
		sm, err := Compile(def)
		if err != nil {
			return
		}
		in, err := jsonv.Decode(input)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, _, _ = sm.Run(ctx, ExecutionConfig{Input: in, Clock: NewFastClock(benchStart)})
	})
}
