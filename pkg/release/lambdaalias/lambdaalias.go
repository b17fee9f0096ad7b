// Package lambdaalias implements release.Aliases with AWS Lambda: an
// alias's traffic is split with UpdateAlias and
// RoutingConfig.AdditionalVersionWeights, versions are listed with
// ListVersionsByFunction and published with PublishVersion. Every version
// a routing names is checked to exist first, so a mistyped version is a
// clear release.ErrVersionNotFound and the alias is left as it was.
package lambdaalias

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/cogniforge/cogniforge/pkg/release"
)

// API is the part of the Lambda client Aliases uses.
type API interface {
	GetAlias(ctx context.Context, in *lambda.GetAliasInput, opts ...func(*lambda.Options)) (*lambda.GetAliasOutput, error)
	UpdateAlias(ctx context.Context, in *lambda.UpdateAliasInput, opts ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error)
	GetFunction(ctx context.Context, in *lambda.GetFunctionInput, opts ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	PublishVersion(ctx context.Context, in *lambda.PublishVersionInput, opts ...func(*lambda.Options)) (*lambda.PublishVersionOutput, error)
	lambda.ListVersionsByFunctionAPIClient
}

// Aliases are Lambda functions' aliases. A release's function name is the
// project's ("checkout"); Prefix turns it into the deployed name
// ("cogniforge-checkout").
type Aliases struct {
	Client API
	Prefix string
}

var (
	_ release.Aliases   = (*Aliases)(nil)
	_ release.Publisher = (*Aliases)(nil)
)

// New returns Aliases over a Lambda client.
func New(client API, prefix string) *Aliases { return &Aliases{Client: client, Prefix: prefix} }

func (a *Aliases) name(fn string) string { return a.Prefix + fn }

// notFound tells a missing function from a missing alias: Lambda answers
// both with ResourceNotFoundException.
func (a *Aliases) notFound(ctx context.Context, fn, alias string, err error) error {
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		return fmt.Errorf("lambda %s: %w", a.name(fn), err)
	}
	if _, ferr := a.Client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(a.name(fn))}); ferr != nil {
		if errors.As(ferr, &rnf) {
			return fmt.Errorf("%w: %q (Lambda function %s)", release.ErrFunctionNotFound, fn, a.name(fn))
		}
		return fmt.Errorf("lambda %s: %w", a.name(fn), ferr)
	}
	if alias == "" {
		return fmt.Errorf("lambda %s: %w", a.name(fn), err)
	}
	return fmt.Errorf("%w: %s:%s", release.ErrAliasNotFound, fn, alias)
}

// Alias reads an alias's version and routing.
func (a *Aliases) Alias(ctx context.Context, fn, alias string) (release.Routing, error) {
	out, err := a.Client.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(a.name(fn)), Name: aws.String(alias)})
	if err != nil {
		return release.Routing{}, a.notFound(ctx, fn, alias, err)
	}
	r := release.Routing{Version: aws.ToString(out.FunctionVersion)}
	if out.RoutingConfig != nil && len(out.RoutingConfig.AdditionalVersionWeights) > 0 {
		r.Weights = map[string]float64{}
		for v, w := range out.RoutingConfig.AdditionalVersionWeights {
			r.Weights[v] = w
		}
	}
	return r, nil
}

// SetAlias points the alias at r.Version with r.Weights as its additional
// versions (none clears the routing). Lambda takes one additional version.
func (a *Aliases) SetAlias(ctx context.Context, fn, alias string, r release.Routing) error {
	if len(r.Weights) > 1 {
		return &release.FieldError{Field: "weights", Err: fmt.Errorf("an alias on Lambda routes to at most one additional version (got %d)", len(r.Weights))}
	}
	have, err := a.Versions(ctx, fn)
	if err != nil {
		return err
	}
	want := []string{r.Version}
	for v, w := range r.Weights {
		if w < 0 || w >= 1 {
			return &release.FieldError{Field: "weights", Err: fmt.Errorf("version %s: %v is not a share in [0, 1)", v, w)}
		}
		want = append(want, v)
	}
	for _, v := range want {
		if !contains(have, v) {
			return fmt.Errorf("%w: %s version %q (have %v)", release.ErrVersionNotFound, fn, v, have)
		}
	}
	weights := map[string]float64{}
	for v, w := range r.Weights {
		weights[v] = w
	}
	_, err = a.Client.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(a.name(fn)), Name: aws.String(alias),
		FunctionVersion: aws.String(r.Version), RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: weights}})
	if err != nil {
		return a.notFound(ctx, fn, alias, err)
	}
	return nil
}

// Versions lists the published versions (not $LATEST), in numeric order.
func (a *Aliases) Versions(ctx context.Context, fn string) ([]string, error) {
	var out []string
	p := lambda.NewListVersionsByFunctionPaginator(a.Client, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(a.name(fn))})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			var rnf *types.ResourceNotFoundException
			if errors.As(err, &rnf) {
				return nil, fmt.Errorf("%w: %q (Lambda function %s)", release.ErrFunctionNotFound, fn, a.name(fn))
			}
			return nil, fmt.Errorf("lambda %s: %w", a.name(fn), err)
		}
		for _, c := range page.Versions {
			if v := aws.ToString(c.Version); v != "$LATEST" {
				out = append(out, v)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		x, _ := strconv.Atoi(out[i])
		y, _ := strconv.Atoi(out[j])
		return x < y
	})
	return out, nil
}

// Publish publishes the function's current code and configuration as a
// version (Lambda answers the last version when nothing changed).
func (a *Aliases) Publish(ctx context.Context, fn, description string) (release.VersionInfo, error) {
	in := &lambda.PublishVersionInput{FunctionName: aws.String(a.name(fn))}
	if description != "" {
		in.Description = aws.String(description)
	}
	out, err := a.Client.PublishVersion(ctx, in)
	if err != nil {
		return release.VersionInfo{}, a.notFound(ctx, fn, "", err)
	}
	v := release.VersionInfo{Function: fn, Version: aws.ToString(out.Version), Description: aws.ToString(out.Description)}
	if t, err := time.Parse("2006-01-02T15:04:05.000-0700", aws.ToString(out.LastModified)); err == nil {
		v.PublishedAt = t.UTC()
	}
	return v, nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
