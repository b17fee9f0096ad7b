// Package ssmconfig is the wiring-side config.ParameterStore over AWS
// Systems Manager Parameter Store: Put is PutParameter with Overwrite (SSM
// keeps every version), Get is GetParameter on "name:version" or
// "name:label" with decryption, History is GetParameterHistory (secure values
// masked, never decrypted), Label is LabelParameterVersion, GetByPath is a
// recursive, decrypted GetParametersByPath. pkg/config itself links no AWS
// SDK; main passes ssmconfig.New(ssm.NewFromConfig(cfg)).
//
// A Store is safe for concurrent use, as the SDK client is.
package ssmconfig

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/cogniforge/cogniforge/pkg/config"
)

// API is the part of *ssm.Client a Store uses.
type API interface {
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, opts ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	GetParameterHistory(ctx context.Context, in *ssm.GetParameterHistoryInput, opts ...func(*ssm.Options)) (*ssm.GetParameterHistoryOutput, error)
	LabelParameterVersion(ctx context.Context, in *ssm.LabelParameterVersionInput, opts ...func(*ssm.Options)) (*ssm.LabelParameterVersionOutput, error)
	GetParametersByPath(ctx context.Context, in *ssm.GetParametersByPathInput, opts ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error)
}

var (
	_ API                   = (*ssm.Client)(nil)
	_ config.ParameterStore = (*Store)(nil)
)

// Store implements config.ParameterStore over SSM.
type Store struct{ api API }

// New returns a Store over api (an *ssm.Client).
func New(api API) *Store { return &Store{api: api} }

// notFound maps SSM's "no such parameter/version/label" faults to
// config.ErrNotFound, keeping the SDK error for the details.
func notFound(err error, what string) error {
	var pnf *types.ParameterNotFound
	var vnf *types.ParameterVersionNotFound
	if errors.As(err, &pnf) || errors.As(err, &vnf) {
		return fmt.Errorf("%w: %s: %v", config.ErrNotFound, what, err)
	}
	return fmt.Errorf("config: ssm %s: %w", what, err)
}

// Put implements config.ParameterStore.
func (s *Store) Put(ctx context.Context, name, value string, secure bool) (int64, error) {
	if err := config.CheckName(name); err != nil {
		return 0, err
	}
	typ := types.ParameterTypeString
	if secure {
		typ = types.ParameterTypeSecureString
	}
	out, err := s.api.PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String(value), Type: typ, Overwrite: aws.Bool(true),
	})
	if err != nil {
		return 0, fmt.Errorf("config: ssm put %s: %w", name, err)
	}
	return out.Version, nil
}

// Get implements config.ParameterStore. SSM's GetParameter does not return
// labels, so Parameter.Labels is empty; History has them.
func (s *Store) Get(ctx context.Context, name, selector string) (config.Parameter, error) {
	if err := config.CheckName(name); err != nil {
		return config.Parameter{}, err
	}
	if _, _, err := config.ParseSelector(selector); err != nil {
		return config.Parameter{}, err
	}
	q := name
	if selector != "" {
		q += ":" + selector
	}
	out, err := s.api.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(q), WithDecryption: aws.Bool(true)})
	if err != nil {
		return config.Parameter{}, notFound(err, q)
	}
	return fromParameter(out.Parameter), nil
}

func fromParameter(p *types.Parameter) config.Parameter {
	out := config.Parameter{
		Name:    aws.ToString(p.Name),
		Value:   aws.ToString(p.Value),
		Version: p.Version,
		Secure:  p.Type == types.ParameterTypeSecureString,
	}
	if p.LastModifiedDate != nil {
		out.LastModified = p.LastModifiedDate.UTC()
	}
	return out
}

// History implements config.ParameterStore. It never asks SSM to decrypt.
func (s *Store) History(ctx context.Context, name string) ([]config.Version, error) {
	if err := config.CheckName(name); err != nil {
		return nil, err
	}
	var out []config.Version
	p := ssm.NewGetParameterHistoryPaginator(s.api, &ssm.GetParameterHistoryInput{Name: aws.String(name), WithDecryption: aws.Bool(false)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, notFound(err, name)
		}
		for _, h := range page.Parameters {
			v := config.Version{
				Name:    aws.ToString(h.Name),
				Value:   aws.ToString(h.Value),
				Version: h.Version,
				Secure:  h.Type == types.ParameterTypeSecureString,
				Labels:  h.Labels,
			}
			if v.Secure {
				v.Value = config.MaskedValue
			}
			if h.LastModifiedDate != nil {
				v.LastModified = h.LastModifiedDate.UTC()
			}
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s", config.ErrNotFound, name)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Label implements config.ParameterStore. SSM reports labels it refuses in
// the response rather than as an error; they become config.ErrInvalidName.
func (s *Store) Label(ctx context.Context, name string, version int64, labels ...string) error {
	if err := config.CheckName(name); err != nil {
		return err
	}
	if len(labels) == 0 {
		return fmt.Errorf("%w: no label given", config.ErrInvalidName)
	}
	for _, l := range labels {
		if err := config.CheckLabel(l); err != nil {
			return err
		}
	}
	out, err := s.api.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{
		Name: aws.String(name), ParameterVersion: aws.Int64(version), Labels: labels,
	})
	if err != nil {
		return notFound(err, fmt.Sprintf("%s version %d", name, version))
	}
	if len(out.InvalidLabels) > 0 {
		return fmt.Errorf("%w: SSM refused labels %s on %s", config.ErrInvalidName, strings.Join(out.InvalidLabels, ", "), name)
	}
	return nil
}

// GetByPath implements config.ParameterStore.
func (s *Store) GetByPath(ctx context.Context, path string) ([]config.Parameter, error) {
	trimmed := strings.TrimSuffix(path, "/")
	if trimmed != "" {
		if err := config.CheckName(trimmed); err != nil {
			return nil, err
		}
	}
	// SSM matches whole segments and documents paths without a trailing
	// slash; only the root is "/".
	if trimmed == "" {
		trimmed = "/"
	}
	var out []config.Parameter
	p := ssm.NewGetParametersByPathPaginator(s.api, &ssm.GetParametersByPathInput{
		Path: aws.String(trimmed), Recursive: aws.Bool(true), WithDecryption: aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("config: ssm get by path %s: %w", path, err)
		}
		for i := range page.Parameters {
			out = append(out, fromParameter(&page.Parameters[i]))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
