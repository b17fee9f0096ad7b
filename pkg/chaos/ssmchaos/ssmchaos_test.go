package ssmchaos_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/cogniforge/cogniforge/pkg/chaos"
	"github.com/cogniforge/cogniforge/pkg/chaos/chaostest"
	"github.com/cogniforge/cogniforge/pkg/chaos/ssmchaos"
	"github.com/cogniforge/cogniforge/test/testenv"
)

// SingleWriter marks the SSM store as having no version check: the
// chaos-injector (reserved concurrency 1) is its one writer.
type serialStore struct{ ssmchaos.Store }

func (serialStore) SingleWriter() {}

func TestContract(t *testing.T) {
	client := ssm.NewFromConfig(testenv.AWSConfig(t, testenv.StartMoto(t)))
	n := 0
	chaostest.RunStore(t, func(t *testing.T) chaos.Store {
		n++
		return serialStore{ssmchaos.Store{Client: client, Name: "/cogniforge/chaos/faults-" + string(rune('a'+n))}}
	})
	// A corrupt value reads as an error, and an update repairs it.
	name := "/cogniforge/chaos/corrupt"
	if _, err := client.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String("{nope"), Type: "String"}); err != nil {
		t.Fatal(err)
	}
	st := ssmchaos.Store{Client: client, Name: name}
	if _, err := st.Load(context.Background()); err == nil {
		t.Fatal("corrupt parameter read as a document")
	}
	if err := st.Update(context.Background(), func(*chaos.Document) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
}
