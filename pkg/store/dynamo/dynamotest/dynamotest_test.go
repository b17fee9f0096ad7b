package dynamotest_test

import (
	"regexp"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/store/dynamo/dynamotest"
)

func TestTableNameIsValidAndUnique(t *testing.T) {
	valid := regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)
	for _, name := range []string{"plain", "with space/and slash: ü", string(make([]byte, 300))} {
		t.Run(name, func(t *testing.T) {
			a, b := dynamotest.TableName(t), dynamotest.TableName(t)
			if !valid.MatchString(a) || a == b {
				t.Fatalf("names %q and %q", a, b)
			}
		})
	}
}
