package wiring

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// Where functions find the users' declarative files (SLOs, on-call
// schedules, chaos experiments): a directory (locally, Knative, the
// Functions Framework) or an SSM Parameter Store path in AWS, where
// Terraform writes one parameter per file.
const (
	EnvConfigDir     = "COGNIFORGE_CONFIG_DIR"      // e.g. config: holds slos/*.yaml
	EnvConfigSSMPath = "COGNIFORGE_CONFIG_SSM_PATH" // e.g. /cogniforge/config: holds /slos/<file>
)

// ConfigFile is one declarative file.
type ConfigFile struct {
	// Name says where it came from (a path, an SSM parameter name), for
	// errors.
	Name string
	Data []byte
}

// ConfigSource returns the files of one kind of configuration ("slos"),
// sorted by name. No files is not an error.
type ConfigSource func(ctx context.Context, kind string) ([]ConfigFile, error)

// DirConfig reads DIR/kind/*.yaml and *.yml. A missing DIR/kind has no
// files.
func DirConfig(dir string) ConfigSource {
	return func(_ context.Context, kind string) ([]ConfigFile, error) {
		sub := filepath.Join(dir, kind)
		entries, err := os.ReadDir(sub)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		var out []ConfigFile
		for _, e := range entries {
			ext := filepath.Ext(e.Name())
			if e.IsDir() || (ext != ".yaml" && ext != ".yml") {
				continue
			}
			p := filepath.Join(sub, e.Name())
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("config: %w", err)
			}
			out = append(out, ConfigFile{Name: p, Data: b})
		}
		return out, nil
	}
}

// ssmAPI is the part of the SSM client SSMConfig uses.
type ssmAPI interface {
	GetParametersByPath(ctx context.Context, in *ssm.GetParametersByPathInput, opts ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error)
}

// SSMConfig reads every parameter under path/kind (recursively, decrypted),
// one file each, read at each call: the caller caches what it built.
func SSMConfig(client ssmAPI, path string) ConfigSource {
	return func(ctx context.Context, kind string) ([]ConfigFile, error) {
		prefix := strings.TrimRight(path, "/") + "/" + kind
		var out []ConfigFile
		p := ssm.NewGetParametersByPathPaginator(client, &ssm.GetParametersByPathInput{
			Path: aws.String(prefix), Recursive: aws.Bool(true), WithDecryption: aws.Bool(true),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("config: SSM parameters under %s: %w", prefix, err)
			}
			for _, prm := range page.Parameters {
				out = append(out, ConfigFile{Name: "ssm:" + aws.ToString(prm.Name), Data: []byte(aws.ToString(prm.Value))})
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out, nil
	}
}

// configFromEnv picks the source the environment names: a directory wins
// over SSM; SSM needs the AWS configuration.
func configFromEnv(env Env, cfg *aws.Config) ConfigSource {
	if dir := env(EnvConfigDir); dir != "" {
		return DirConfig(dir)
	}
	if path := env(EnvConfigSSMPath); path != "" && cfg != nil {
		return SSMConfig(ssm.NewFromConfig(*cfg), path)
	}
	return nil
}
