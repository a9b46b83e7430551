package appliance

import (
	"crypto/tls"
	"fmt"
	"time"

	"github.com/scangate/gateway/submit"
)

// CertificateWarning is how close to its expiry a server certificate is worth a warning.
const CertificateWarning = 14 * 24 * time.Hour

// Verdict puts the outcome of an account self-test into plain words.
func Verdict(rep *submit.Report, err error, now time.Time) string {
	if err != nil {
		_, long := Explain(err)
		if submit.IsTemporary(err) {
			return "Not working right now: " + long + " This may pass by itself; try again later."
		}
		return "Not working: " + long
	}
	v := "The account works"
	if rep.TLS != nil {
		v += fmt.Sprintf(": the server accepted %s authentication over %s", rep.Mechanism, tls.VersionName(rep.TLS.Version))
		if len(rep.TLS.PeerCertificates) > 0 {
			leaf := rep.TLS.PeerCertificates[0]
			if left := leaf.NotAfter.Sub(now); left < CertificateWarning {
				v += fmt.Sprintf(". Warning: the server's certificate expires on %s (in %d days); tell the mail server's admin",
					leaf.NotAfter.Format("2006-01-02"), int(left.Hours()/24))
			}
		}
	}
	return v + "."
}
