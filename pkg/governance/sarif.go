package governance

import (
	"encoding/json"
	"path/filepath"
	"strings"
)

// SARIF 2.1.0 (OASIS), the subset code-scanning systems read to show
// findings inline: the rules on the driver, one result per finding with
// the spec's path and line.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// SARIFLevel maps a severity to a SARIF level (error, warning, note).
func SARIFLevel(s Severity) string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	}
	return "note"
}

// SARIF renders reports as one SARIF 2.1.0 run whose driver lists every
// rule (static and probe). Spec names become relative URIs with forward
// slashes, as code-scanning systems expect.
func SARIF(reports []Report) ([]byte, error) {
	all := Rules()
	idx := make(map[string]int, len(all))
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "cogniforge-api-audit",
		InformationURI: "https://owasp.org/API-Security/editions/2023/en/0x11-t10/"}}, Results: []sarifResult{}}
	for i, r := range all {
		idx[r.ID] = i
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID: r.ID, Name: ruleName(r.ID), ShortDescription: sarifText{r.Summary}, Help: sarifText{r.Hint},
			DefaultConfiguration: sarifConfig{SARIFLevel(r.Severity)},
			Properties:           map[string]any{"category": r.Category, "tags": []string{"security", "owasp-api-top-10", r.Category}},
		})
	}
	for _, rep := range reports {
		uri := filepath.ToSlash(rep.Spec)
		for _, f := range rep.Findings {
			loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri}}}
			if f.Line > 0 {
				loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Line}
			}
			if f.Path != "" {
				loc.LogicalLocations = []sarifLogical{{FullyQualifiedName: f.Path, Kind: "member"}}
			}
			msg := f.Category + " " + f.Message
			if f.Hint != "" {
				msg += ". Fix: " + f.Hint
			}
			i, ok := idx[f.Rule]
			if !ok {
				i = -1
			}
			run.Results = append(run.Results, sarifResult{RuleID: f.Rule, RuleIndex: i, Level: SARIFLevel(f.Severity),
				Message: sarifText{msg}, Locations: []sarifLocation{loc}})
		}
	}
	return json.MarshalIndent(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}}, "", "  ")
}

// ruleName turns "auth-missing" into "AuthMissing" (SARIF's rule name).
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}
