// Package ssmchaos keeps the chaos configuration in one SSM Parameter Store
// parameter (a chaos.Document as its value), the source every function
// reads in AWS (at most once per TTL per instance, see chaos.Injector) and
// the store the chaos-injector function writes. A missing parameter is an
// empty document. Updates are read-modify-write without a version check:
// the chaos-injector is the one writer (reserved concurrency 1 in infra/).
package ssmchaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/cogniforge/cogniforge/pkg/chaos"
)

// API is the part of the SSM client the store uses.
type API interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, opts ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
}

// Store is a chaos.Store in the parameter Name.
type Store struct {
	Client API
	Name   string
}

var _ chaos.Store = Store{}

// Load reads and parses the parameter.
func (s Store) Load(ctx context.Context) (chaos.Document, error) {
	out, err := s.Client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(s.Name), WithDecryption: aws.Bool(true)})
	var nf *types.ParameterNotFound
	if errors.As(err, &nf) {
		return chaos.Document{}, nil
	}
	if err != nil {
		return chaos.Document{}, fmt.Errorf("ssmchaos: read %s: %w", s.Name, err)
	}
	doc, err := chaos.ParseDocument([]byte(aws.ToString(out.Parameter.Value)))
	if err != nil {
		return chaos.Document{}, fmt.Errorf("ssmchaos: %s: %w", s.Name, err)
	}
	return doc, nil
}

// Update reads the parameter, applies change and writes it back. A corrupt
// value is replaced by what change makes of an empty document.
func (s Store) Update(ctx context.Context, change func(*chaos.Document) error) error {
	var doc chaos.Document
	out, err := s.Client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(s.Name), WithDecryption: aws.Bool(true)})
	var nf *types.ParameterNotFound
	switch {
	case errors.As(err, &nf):
	case err != nil:
		return fmt.Errorf("ssmchaos: read %s: %w", s.Name, err)
	default:
		// A corrupt value is replaced, so clearing repairs it.
		doc, _ = chaos.ParseDocument([]byte(aws.ToString(out.Parameter.Value)))
	}
	if err := change(&doc); err != nil {
		return err
	}
	if doc.Faults == nil {
		doc.Faults = []chaos.Fault{}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("ssmchaos: %w", err)
	}
	_, err = s.Client.PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String(s.Name), Value: aws.String(string(b)), Type: types.ParameterTypeString,
		Overwrite: aws.Bool(true), Tier: types.ParameterTierIntelligentTiering,
	})
	if err != nil {
		return fmt.Errorf("ssmchaos: write %s: %w", s.Name, err)
	}
	return nil
}
