package org.espline.generator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

import org.espline.dsl.espline.AeadAlgorithm;
import org.espline.dsl.espline.CipherIntegrity;
import org.espline.dsl.espline.EnvironmentKey;
import org.espline.dsl.espline.FileKey;
import org.espline.dsl.espline.Key;
import org.espline.dsl.espline.Model;
import org.espline.dsl.espline.SecurityAssociation;
import org.espline.dsl.runtime.ModelException;
import org.espline.dsl.runtime.ModelSas;
import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.sa.SaConfig;

/**
 * Loads and validates a model with {@link ModelSas}, then runs {@link EsplineGenerator} on it. {@code env:} keys are
 * not read at generation time (the generated code reads them when it starts): validation sees a zero key of the
 * length the algorithm needs.
 */
public final class ModelGenerator {
    private final EsplineGenerator generator = new EsplineGenerator();

    /** The loaded, error-free models of the files: path to generated source text for each root model. */
    public Map<String, String> generate(ModelSas.Loaded loaded, Path file, Function<String, String> env) throws ModelException, IOException {
        ModelSas sas = new ModelSas(env).keyFiles(placeholderKeyFiles(loaded.models()));
        List<SaConfig> configs = sas.sas(loaded);
        List<Model> models = loaded.models();
        Model root = models.get(models.size() - 1);
        if (root.getName() == null) {
            throw new IllegalArgumentException("the model has no 'package NAME': generated code needs a Java package");
        }
        EsplineGenerator.Input in = new EsplineGenerator.Input();
        in.model = root;
        in.sourceName = file.getFileName().toString();
        in.sourceText = Files.readString(file, StandardCharsets.UTF_8);
        for (SaConfig c : configs) {
            in.sas.put(c.name(), c);
        }
        for (Model m : models) {
            m.getElements().stream().filter(SecurityAssociation.class::isInstance).map(SecurityAssociation.class::cast)
                    .forEach(sa -> in.saElements.put(sa.getName(), sa));
        }
        in.policies = sas.policies(loaded, configs);
        return generator.generate(in);
    }

    /** Loads one model file, checks it has a package, and generates; problems as ModelException. */
    public static ModelSas.Loaded load(Path file) {
        return new ModelSas(placeholderEnvironment(List.of())).load(file);
    }

    /** Zero keys of the right length for every file: key of the models, like {@link #placeholderEnvironment}. */
    public static Function<String, byte[]> placeholderKeyFiles(List<Model> models) {
        return path -> {
            for (Model m : models) {
                for (var e : m.getElements()) {
                    if (e instanceof SecurityAssociation sa) {
                        Integer len = keyLength(sa, k -> k instanceof FileKey f && path.equals(f.getPath()));
                        if (len != null) {
                            return new byte[len];
                        }
                    }
                }
            }
            return null;
        };
    }

    /** Zero keys of the right length for every env: key of the models, so validation passes without secrets. */
    public static Function<String, String> placeholderEnvironment(List<Model> models) {
        return name -> {
            for (Model m : models) {
                for (var e : m.getElements()) {
                    if (e instanceof SecurityAssociation sa) {
                        Integer len = keyLength(sa, k -> k instanceof EnvironmentKey v && name.equals(v.getVariable()));
                        if (len != null) {
                            return "00".repeat(len);
                        }
                    }
                }
            }
            return null;
        };
    }

    /** The key length the SA's algorithm needs for the key {@code wanted} picks out, or null when none of its keys. */
    private static Integer keyLength(SecurityAssociation sa, Predicate<Key> wanted) {
        if (sa.getAlgorithm() instanceof AeadAlgorithm a && wanted.test(a.getKey())) {
            String n = a.getName().getLiteral();
            if (n.startsWith("chacha20")) {
                return 32 + EncryptionAlgorithm.CHACHA20_POLY1305.saltLength();
            }
            int bits = Integer.parseInt(n.substring(3, 6));
            EncryptionAlgorithm alg = n.contains("gcm") ? EncryptionAlgorithm.AES_GCM
                    : n.contains("ccm") ? EncryptionAlgorithm.AES_CCM : EncryptionAlgorithm.AES_GMAC;
            return bits / 8 + alg.saltLength();
        }
        if (sa.getAlgorithm() instanceof CipherIntegrity c) {
            if (wanted.test(c.getCipherKey())) {
                return Integer.parseInt(c.getCipher().getLiteral().substring(3)) / 8;
            }
            if (wanted.test(c.getIntegrityKey())) {
                switch (c.getIntegrity()) {
                    case SHA256_128: return 32;
                    case SHA384_192: return 48;
                    case SHA512_256: return 64;
                    default: return 20;
                }
            }
        }
        return null;
    }
}
