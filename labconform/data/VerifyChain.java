// The JVM's own view of root trust, run with the source launcher in a container of the lab's image
// (labconform/trust.py). Plain JDK, no dependencies; output is one "key=value" fact a line.
//
//   java VerifyChain.java verify <cert.pem> <root-sha256> [<epoch-ms>]
//       the JVM's default trust anchors (as JSSE resolves them: javax.net.ssl.trustStore, else
//       jssecacerts, else cacerts), each as PEM; then PKIX CertPathValidator (revocation off) on
//       <cert.pem> against all of them, against the root <root-sha256> alone and against all but it,
//       at <epoch-ms> when given (else now)
//   java VerifyChain.java handshake <host> <port> <timeout-ms>
//       a TLS handshake with the default SSLSocketFactory (the default trust store) and HTTPS
//       host name checking; exit 0 verified, 4 refused, 3 the site cannot be reached (1 stays the
//       launcher's own: a JRE without jdk.compiler cannot compile this file)

import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.security.InvalidAlgorithmParameterException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

public class VerifyChain {

    static String fingerprint(X509Certificate c) throws Exception {
        byte[] d = MessageDigest.getInstance("SHA-256").digest(c.getEncoded());
        StringBuilder sb = new StringBuilder();
        for (byte b : d) {
            if (sb.length() > 0) sb.append(':');
            sb.append(String.format("%02X", b));
        }
        return sb.toString();
    }

    /** The trust store file JSSE reads when nothing else is configured in code. */
    static String storePath() {
        String p = System.getProperty("javax.net.ssl.trustStore");
        if (p != null && !p.isEmpty()) return p;
        String sec = System.getProperty("java.home") + File.separator + "lib" + File.separator + "security";
        File jsse = new File(sec, "jssecacerts");
        return jsse.exists() ? jsse.getPath() : new File(sec, "cacerts").getPath();
    }

    static X509Certificate[] defaultAnchors() throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init((KeyStore) null);  // null: the JVM's default trust store, exactly as TLS clients get it
        for (TrustManager tm : tmf.getTrustManagers()) {
            if (tm instanceof X509TrustManager) return ((X509TrustManager) tm).getAcceptedIssuers();
        }
        return new X509Certificate[0];
    }

    static void validate(String label, X509Certificate cert, Set<TrustAnchor> anchors, Date at) throws Exception {
        try {
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);  // offline: no OCSP or CRL
            if (at != null) params.setDate(at);
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            CertPath path = cf.generateCertPath(List.of(cert));
            PKIXCertPathValidatorResult r =
                    (PKIXCertPathValidatorResult) CertPathValidator.getInstance("PKIX").validate(path, params);
            X509Certificate root = r.getTrustAnchor().getTrustedCert();
            System.out.println(label + ".ok=true");
            System.out.println(label + ".anchor=" + fingerprint(root) + " " + root.getSubjectX500Principal());
        } catch (InvalidAlgorithmParameterException e) {  // an empty set of anchors
            System.out.println(label + ".ok=false");
            System.out.println(label + ".error=no trust anchors: " + e.getMessage());
        } catch (java.security.cert.CertPathValidatorException e) {
            System.out.println(label + ".ok=false");
            System.out.println(label + ".error=" + e.getReason() + ": " + e.getMessage());
        }
    }

    static int verify(String pemFile, String rootFp, Date at) throws Exception {
        X509Certificate cert;
        try (InputStream in = new FileInputStream(pemFile)) {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        X509Certificate[] anchors = defaultAnchors();
        System.out.println("java.version=" + System.getProperty("java.version"));
        System.out.println("store=" + storePath());
        System.out.println("anchors=" + anchors.length);
        System.out.println("at=" + (at == null ? "now" : at.toInstant().toString()));
        Set<TrustAnchor> all = new HashSet<>(), only = new HashSet<>(), without = new HashSet<>();
        Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes());
        StringBuilder pems = new StringBuilder();
        for (X509Certificate a : anchors) {
            TrustAnchor t = new TrustAnchor(a, null);
            all.add(t);
            (fingerprint(a).equals(rootFp) ? only : without).add(t);
            pems.append("-----BEGIN CERTIFICATE-----\n").append(b64.encodeToString(a.getEncoded()))
                .append("\n-----END CERTIFICATE-----\n");
        }
        validate("all", cert, all, at);
        validate("root_only", cert, only, at);
        validate("without_root", cert, without, at);
        System.out.print(pems);
        return 0;
    }

    static int handshake(String host, int port, int timeoutMs) throws Exception {
        System.out.println("store=" + storePath());
        try (Socket raw = new Socket()) {
            raw.connect(new InetSocketAddress(host, port), timeoutMs);
            SSLSocketFactory f = (SSLSocketFactory) SSLSocketFactory.getDefault();
            try (SSLSocket s = (SSLSocket) f.createSocket(raw, host, port, true)) {
                SSLParameters p = s.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");  // the name must match, as HttpsURLConnection checks
                s.setSSLParameters(p);
                s.setSoTimeout(timeoutMs);
                s.startHandshake();
                System.out.println("handshake.ok=true");
                System.out.println("protocol=" + s.getSession().getProtocol());
                System.out.println("cipher=" + s.getSession().getCipherSuite());
                java.security.cert.Certificate[] chain = s.getSession().getPeerCertificates();
                for (int i = 0; i < chain.length; i++) {
                    X509Certificate c = (X509Certificate) chain[i];
                    System.out.println("peer." + i + "=" + fingerprint(c) + " " + c.getSubjectX500Principal());
                }
                return 0;
            }
        } catch (UnknownHostException | ConnectException | NoRouteToHostException | SocketTimeoutException e) {
            System.out.println("unreachable=" + e.getClass().getSimpleName() + ": " + e.getMessage());
            return 3;
        } catch (javax.net.ssl.SSLException e) {
            System.out.println("handshake.ok=false");
            Throwable c = e;
            while (c.getCause() != null) c = c.getCause();
            System.out.println("handshake.error=" + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + (c != e ? " (" + c.getClass().getSimpleName() + ": " + c.getMessage() + ")" : ""));
            return 4;
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length >= 3 && args[0].equals("verify")) {
            Date at = args.length > 3 ? new Date(Long.parseLong(args[3])) : null;
            System.exit(verify(args[1], args[2], at));
        }
        if (args.length == 4 && args[0].equals("handshake")) {
            System.exit(handshake(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3])));
        }
        System.err.println("usage: verify <cert.pem> <root-sha256> [<epoch-ms>] | handshake <host> <port> <timeout-ms>");
        System.exit(2);
    }
}
