package secrets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gopkg.in/yaml.v3"
)

// Declared is a secret declared in config/secrets/*.yaml, which `cogniforge
// run` creates in the local vault and rotates by its rules, standing in for
// what Terraform and Secrets Manager do in AWS:
//
//	secrets:
//	  - name: orders-api-key
//	    fields: {user: orders}   # kept as they are by every rotation
//	    generate: apiKey         # the field given a random value (default password)
//	    rotation: {preset: quarterly, duration: 3h}   # or schedule: rate(30 days), or afterDays: 7
//
// A file never holds a secret's value: the generated field is random at
// creation and at every rotation.
type Declared struct {
	Name     string         `yaml:"name"`
	Fields   map[string]any `yaml:"fields"`
	Generate string         `yaml:"generate"`
	Rotation struct {
		Preset    string `yaml:"preset"`
		Schedule  string `yaml:"schedule"`
		AfterDays int64  `yaml:"afterDays"`
		Duration  string `yaml:"duration"`
	} `yaml:"rotation"`
}

// Rules returns the declaration's rotation rules, checked.
func (d Declared) Rules() (RotationRules, error) {
	r := d.Rotation
	n := 0
	var rules RotationRules
	if r.Preset != "" {
		n++
		p, err := Preset(r.Preset)
		if err != nil {
			return rules, err
		}
		rules = p
	}
	if r.Schedule != "" {
		n++
		rules.ScheduleExpression = r.Schedule
	}
	if r.AfterDays != 0 {
		n++
		rules.AutomaticallyAfterDays = r.AfterDays
	}
	if n > 1 {
		return rules, policyErr("give one of rotation.preset, rotation.schedule, rotation.afterDays")
	}
	rules.Duration = r.Duration
	if n == 0 {
		if r.Duration != "" {
			return rules, policyErr("rotation.duration without a preset, schedule or afterDays")
		}
		return RotationRules{}, nil // declared, never rotated
	}
	if _, err := ParsePolicy(rules); err != nil {
		return rules, err
	}
	return rules, nil
}

// ParseDeclarations reads a config/secrets file; source names it in
// errors. Every problem is reported, naming the secret and field.
func ParseDeclarations(source string, data []byte) ([]Declared, error) {
	var doc struct {
		Secrets []Declared `yaml:"secrets"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	var errs []error
	seen := map[string]bool{}
	for i, d := range doc.Secrets {
		where := fmt.Sprintf("%s: secrets[%d]", source, i)
		if d.Name == "" {
			errs = append(errs, fmt.Errorf("%s: name is required", where))
			continue
		}
		where += " (" + d.Name + ")"
		if seen[d.Name] {
			errs = append(errs, fmt.Errorf("%s: declared twice", where))
		}
		seen[d.Name] = true
		if _, ok := d.Fields[d.generated()]; ok {
			errs = append(errs, fmt.Errorf("%s: fields.%s is the generated field: a file must not hold a secret's value", where, d.generated()))
		}
		if _, err := d.Rules(); err != nil {
			errs = append(errs, fmt.Errorf("%s: rotation: %w", where, err))
		}
	}
	return doc.Secrets, errors.Join(errs...)
}

func (d Declared) generated() string {
	if d.Generate == "" {
		return "password"
	}
	return d.Generate
}

// Ensure creates the declared secret in v when it does not exist (its
// fields plus a random generated field, as version 1 AWSCURRENT) and sets
// its rotation rules; an existing secret keeps its value and gets the
// declared rules. It reports whether it created the secret.
func (d Declared) Ensure(ctx context.Context, v *FileVault) (created bool, err error) {
	rules, err := d.Rules()
	if err != nil {
		return false, err
	}
	if _, err := v.DescribeSecret(ctx, d.Name); errors.Is(err, ErrSecretNotFound) {
		value := map[string]any{}
		for k, x := range d.Fields {
			value[k] = x
		}
		pw, err := RandomPassword(PasswordPolicy{Length: 32})
		if err != nil {
			return false, err
		}
		value[d.generated()] = pw
		b, err := json.Marshal(value)
		if err != nil {
			return false, fmt.Errorf("secret %s: fields: %w", d.Name, err)
		}
		if err := v.CreateSecret(ctx, d.Name, uuid.NewString(), b); err != nil {
			return false, err
		}
		created = true
	} else if err != nil {
		return false, err
	}
	if !rules.IsZero() {
		if err := v.SetRotationRules(ctx, d.Name, rules); err != nil {
			return created, err
		}
	}
	return created, nil
}

// Rotation is one rotation RotateDue started or resumed.
type Rotation struct {
	SecretID string
	Token    string
	// Resumed is a rotation found in progress (AWSPENDING on a version
	// that is not AWSCURRENT) and driven again from createSecret, as
	// Secrets Manager retries the same rotation.
	Resumed bool
	Err     error
}

// RotateDue does locally what Secrets Manager's scheduler does: every
// secret of v with rotation enabled and rules whose window is open or
// overdue at now gets a rotation, its four steps run in order through
// invoke (the rotation function, as Secrets Manager invokes it) until one
// fails. A secret with a rotation in progress has that rotation driven
// again instead of a new one. open is called once per secret so each
// check reads what the function last wrote.
func RotateDue(ctx context.Context, open func() (*FileVault, error), now time.Time, invoke func(context.Context, Request) error) ([]Rotation, error) {
	v, err := open()
	if err != nil {
		return nil, err
	}
	var out []Rotation
	for _, id := range v.ListSecrets(ctx) {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if v, err = open(); err != nil {
			return out, err
		}
		d, err := v.DescribeSecret(ctx, id)
		if err != nil || !d.RotationEnabled || d.Rules.IsZero() {
			continue
		}
		p, err := ParsePolicy(d.Rules)
		if err != nil {
			out = append(out, Rotation{SecretID: id, Err: err})
			continue
		}
		r := Rotation{SecretID: id}
		if pending := stuckPending(d); pending != "" {
			r.Token, r.Resumed = pending, true
		} else {
			if last := d.LastRotation(); !last.IsZero() && p.Check(last, now).State == StateScheduled {
				continue
			}
			r.Token = uuid.NewString()
			if err := v.StartRotation(ctx, id, r.Token); err != nil {
				r.Err = err
				out = append(out, r)
				continue
			}
		}
		for _, step := range []string{StepCreate, StepSet, StepTest, StepFinish} {
			if err := invoke(ctx, Request{SecretID: id, ClientRequestToken: r.Token, Step: step}); err != nil {
				r.Err = fmt.Errorf("%s: %w", step, err)
				break
			}
		}
		out = append(out, r)
	}
	return out, nil
}
