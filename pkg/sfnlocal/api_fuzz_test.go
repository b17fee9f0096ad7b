package sfnlocal

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/asl"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// FuzzHandler sends arbitrary bodies to every operation: the answer is
// always 200 with a JSON object or a JSON 1.0 error the SDKs can decode,
// never a panic or a 500.
func FuzzHandler(f *testing.F) {
	ops := Operations()
	machine := "arn:aws:states:us-east-1:123456789012:stateMachine:m"
	seeds := []string{
		``, `{}`, `[]`, `null`, `{"name":"x","definition":` + strconvQuote(passDef) + `,"roleArn":"` + role + `"}`,
		`{"stateMachineArn":"` + machine + `","input":"{\"a\":1}","name":"e"}`,
		`{"stateMachineArn":"` + machine + `#Case"}`,
		`{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:m:e","maxResults":1,"reverseOrder":true}`,
		`{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:m:e","nextToken":"c2ZubG9jYWwxOjE"}`,
		`{"stateMachineArn":"` + machine + `","maxResults":-1}`,
		`{"taskToken":"00000000-0000-4000-8000-00000000000000000000-0000-4000-8000-000000000000","output":"{"}`,
		`{"resourceArn":"` + machine + `","tags":[{"key":"k","value":"v"}]}`,
		`{"definition":"{\"StartAt\":\"A\",\"States\":{}}"}`,
		`{"stateMachineArn":"` + machine + `","definition":"{}"}`,
	}
	for i, s := range seeds {
		for j := range ops {
			if (i+j)%3 == 0 {
				f.Add(j, s)
			}
		}
	}
	f.Fuzz(func(t *testing.T, opIndex int, body string) {
		if opIndex < 0 {
			opIndex = -opIndex
		}
		if opIndex < 0 {
			opIndex = 0
		}
		op := ops[opIndex%len(ops)]
		svc, err := NewService(ServiceConfig{Store: memory.New(memory.Config{}), Clock: asl.NewFastClock(time.Time{}), Logger: discard()})
		if err != nil {
			t.Fatal(err)
		}
		defer svc.Close()
		if _, err := svc.createStateMachine(context.Background(), &createStateMachineInput{Name: "m", Definition: passDef, RoleArn: role, Type: TypeExpress}); err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", TargetPrefix+op)
		rec := httptest.NewRecorder()
		svc.Handler().ServeHTTP(rec, req)
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("%s: answer is not a JSON object: %v: %q", op, err, rec.Body.String())
		}
		switch rec.Code {
		case http.StatusOK:
		case http.StatusBadRequest:
			typ, _ := m["__type"].(string)
			if !strings.HasPrefix(typ, errorNamespace) || len(typ) == len(errorNamespace) {
				t.Fatalf("%s: error without a type: %v", op, m)
			}
		default:
			t.Fatalf("%s: status %d: %s", op, rec.Code, rec.Body.String())
		}
	})
}

// FuzzPageToken: any nextToken either decodes to an offset that encodes
// back to itself or is refused as InvalidToken.
func FuzzPageToken(f *testing.F) {
	for _, s := range []string{"", encodeToken(0), encodeToken(1000), "garbage", "c2ZubG9jYWwxOi0x", "c2ZubG9jYWwxOjk5OTk5OTk5OTk5OTk5OTk5OTk5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		off, err := decodeToken(tok)
		if err != nil {
			if !isCode(err, ErrCodeInvalidToken) {
				t.Fatalf("error %v is not InvalidToken", err)
			}
			return
		}
		if off < 0 {
			t.Fatalf("negative offset %d", off)
		}
		if tok != "" {
			if again, err := decodeToken(encodeToken(off)); err != nil || again != off {
				t.Fatalf("round trip of %d = %d, %v", off, again, err)
			}
		}
	})
}
