package lambda

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	"github.com/cogniforge/cogniforge/pkg/apiclient"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// urlResponse is the function URL / API Gateway v2 response.
type urlResponse struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers,omitempty"`
	Cookies         []string          `json:"cookies,omitempty"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

// recorder is a minimal http.ResponseWriter that keeps the response.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func (i *Invoker) functionURL(ctx context.Context, s *sniff) ([]byte, error) {
	body := []byte(s.Body)
	rec := &recorder{header: http.Header{}}
	if s.IsBase64Encoded {
		dec, err := base64.StdEncoding.DecodeString(s.Body)
		if err != nil {
			faas.WriteProblem(rec, faas.ProblemFor(faas.Invalid("body", err)))
			return encodeURLResponse(rec)
		}
		body = dec
	}
	target := s.RawPath
	if target == "" {
		target = "/"
	}
	if s.RawQueryString != "" {
		target += "?" + s.RawQueryString
	}
	req, err := http.NewRequestWithContext(ctx, s.RequestContext.HTTP.Method, target, bytes.NewReader(body))
	if err != nil {
		faas.WriteProblem(rec, faas.ProblemFor(faas.Invalid("rawPath", err)))
		return encodeURLResponse(rec)
	}
	for k, v := range s.Headers {
		req.Header.Set(k, v)
	}
	// Only AWS says who the IAM principal is: a caller's copy of the
	// header is dropped, and the one IAM authenticated is set.
	req.Header.Del(apiclient.PrincipalHeader)
	if a := s.RequestContext.Authorizer; a != nil && a.IAM != nil && a.IAM.UserARN != "" {
		req.Header.Set(apiclient.PrincipalHeader, a.IAM.UserARN)
	}
	if len(s.Cookies) > 0 {
		req.Header.Set("Cookie", strings.Join(s.Cookies, "; "))
	}
	req.Host = s.Headers["host"]
	if req.Host == "" {
		req.Host = s.RequestContext.DomainName
	}
	req.RemoteAddr = s.RequestContext.HTTP.SourceIP
	req.ContentLength = int64(len(body))
	i.http.ServeHTTP(rec, req)
	return encodeURLResponse(rec)
}

func encodeURLResponse(rec *recorder) ([]byte, error) {
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	resp := urlResponse{StatusCode: status, Headers: make(map[string]string, len(rec.header))}
	for k, v := range rec.header {
		if k == "Set-Cookie" {
			resp.Cookies = append(resp.Cookies, v...)
			continue
		}
		resp.Headers[k] = strings.Join(v, ", ")
	}
	if isText(rec.header.Get("Content-Type")) {
		resp.Body = rec.body.String()
	} else if rec.body.Len() > 0 {
		resp.Body = base64.StdEncoding.EncodeToString(rec.body.Bytes())
		resp.IsBase64Encoded = true
	}
	return json.Marshal(resp)
}

// isText reports whether a body of content type ct can travel as a JSON string.
func isText(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || strings.HasSuffix(mt, "+json") ||
		mt == "application/xml" || strings.HasSuffix(mt, "+xml") || mt == "application/x-www-form-urlencoded"
}
