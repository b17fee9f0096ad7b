package testenv_test

import (
	"context"
	"net"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cogniforge/cogniforge/test/testenv"
)

func TestFreePortIsListenable(t *testing.T) {
	p := testenv.FreePort(t)
	if p <= 0 || p > 65535 {
		t.Fatalf("port %d out of range", p)
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
	if err != nil {
		t.Fatalf("listen on free port %d: %v", p, err)
	}
	l.Close()
}

func TestRequireToolFindsExisting(t *testing.T) {
	if p := testenv.RequireTool(t, "sh", "a POSIX shell"); p == "" {
		t.Fatal("empty path for sh")
	}
}

// fatalRecorder records Fatalf instead of stopping the test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Fatalf(format string, args ...any) { f.msg = format }
func (f *fatalRecorder) Helper()                           {}

func TestRequireToolMissingFails(t *testing.T) {
	r := &fatalRecorder{TB: t}
	testenv.RequireTool(r, "definitely-not-a-tool-cogniforge", "apt-get install nothing")
	if r.msg == "" {
		t.Fatal("missing tool did not fail the test")
	}
}

func TestStartMotoDynamoDB(t *testing.T) {
	for name, opts := range map[string][]testenv.MotoOption{"threaded": nil, "serial": {testenv.Serial()}} {
		t.Run(name, func(t *testing.T) { testMotoDynamoDB(t, testenv.StartMoto(t, opts...)) })
	}
}

func testMotoDynamoDB(t *testing.T, endpoint string) {
	ctx := context.Background()
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, endpoint))
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String("testenv"),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
		},
	})
	if err != nil {
		t.Fatalf("create table: %v", err)
	}
	out, err := db.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	if len(out.TableNames) != 1 || out.TableNames[0] != "testenv" {
		t.Fatalf("tables = %v, want [testenv]", out.TableNames)
	}
}

func TestStartMotoIsolated(t *testing.T) {
	a := testenv.StartMoto(t)
	b := testenv.StartMoto(t)
	if a == b {
		t.Fatalf("two servers share endpoint %s", a)
	}
}
