package pgrotate

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// scramIterations is PostgreSQL's default scram_iterations.
const scramIterations = 4096

// passwordLiteral is what ALTER ROLE ... PASSWORD receives: the
// SCRAM-SHA-256 verifier of password, computed here, so the plaintext
// never reaches the server, where log_statement or pg_stat_statements
// could record it. PostgreSQL stores a verifier it is given as is. A
// password outside printable ASCII is sent as a quoted literal instead:
// the server runs SASLprep on those, which this package does not
// reimplement.
func passwordLiteral(password string) (string, error) {
	for i := 0; i < len(password); i++ {
		if password[i] < 0x20 || password[i] > 0x7e {
			return quoteLiteral(password)
		}
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return quoteLiteral(scramVerifier(password, salt, scramIterations))
}

// scramVerifier is RFC 5802's StoredKey and ServerKey in PostgreSQL's
// pg_authid format: SCRAM-SHA-256$iter:salt$StoredKey:ServerKey.
func scramVerifier(password string, salt []byte, iter int) string {
	salted, err := pbkdf2.Key(sha256.New, password, salt, iter, sha256.Size)
	if err != nil {
		// Only invalid parameters fail, and these are constants.
		panic("pgrotate: pbkdf2: " + err.Error())
	}
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	stored := sha256.Sum256(mac(salted, "Client Key"))
	server := mac(salted, "Server Key")
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", iter, b64(salt), b64(stored[:]), b64(server))
}
