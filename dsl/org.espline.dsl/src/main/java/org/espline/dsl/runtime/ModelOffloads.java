package org.espline.dsl.runtime;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.eclipse.emf.ecore.EObject;
import org.espline.dsl.espline.AeadName;
import org.espline.dsl.espline.CipherName;
import org.espline.dsl.espline.EsplinePackage;
import org.espline.dsl.espline.IntegrityName;
import org.espline.dsl.espline.Model;
import org.espline.dsl.espline.Offload;
import org.espline.runtime.offload.OffloadDevice;
import org.espline.runtime.offload.OffloadDevices;
import org.espline.runtime.sa.SecurityAssociation;

/**
 * A model's {@code offload} targets as runtime devices ({@link OffloadDevices#create}), one per target, and the SAs
 * that name them. Devices are made on first use and closed by {@link #close()}.
 *
 * <p>{@code fallback} is the software path of the API whatever it names (its wire bytes are the JCA's); a
 * {@code tso} makes a {@code nic} target segment TCP super-packets itself (see {@link ModelPipelines}).
 */
public final class ModelOffloads implements AutoCloseable {
    private final Map<Offload, OffloadDevice> devices = new IdentityHashMap<>();
    /** Model SA name -> the offload target it names. */
    private final Map<String, Offload> bySa = new HashMap<>();

    public ModelOffloads(ModelSas.Loaded loaded) {
        this(loaded.models());
    }

    public ModelOffloads(List<Model> models) {
        for (Model m : models) {
            for (EObject e : m.getElements()) {
                if (e instanceof org.espline.dsl.espline.SecurityAssociation sa && sa.getOffload() != null
                        && !sa.getOffload().eIsProxy()) {
                    bySa.put(sa.getName(), sa.getOffload());
                }
            }
        }
    }

    /** The device for {@code offload}, made on first use. */
    public OffloadDevice device(Offload offload) {
        return devices.computeIfAbsent(Objects.requireNonNull(offload, "offload"), ModelOffloads::create);
    }

    /** The target the model's SA {@code saName} names with {@code offload}, or null. */
    public Offload targetOf(String saName) {
        return bySa.get(saName);
    }

    /**
     * Pushes each of {@code sas} that names {@code offload} to its device (refusals leave it to software).
     *
     * @param alsoUnbound also push SAs that name no target (a pipeline's {@code encrypt offload X} takes them)
     */
    public OffloadDevice bind(Offload offload, List<SecurityAssociation> sas, boolean alsoUnbound) {
        OffloadDevice d = device(offload);
        for (SecurityAssociation sa : sas) {
            Offload target = bySa.get(sa.config().name());
            if (target == offload || (alsoUnbound && target == null)) {
                d.addState(sa);
            }
        }
        return d;
    }

    /**
     * For tools that run one device (the command line): the target the first of {@code sas} naming one names, with
     * the SAs that name it pushed to it; null when none names a target.
     */
    public OffloadDevice deviceForSas(List<SecurityAssociation> sas) {
        for (SecurityAssociation sa : sas) {
            Offload target = bySa.get(sa.config().name());
            if (target != null) {
                return bind(target, sas, false);
            }
        }
        return null;
    }

    /** The devices made so far. */
    public List<OffloadDevice> devices() {
        return new ArrayList<>(devices.values());
    }

    @Override
    public void close() {
        for (OffloadDevice d : devices.values()) {
            d.close();
        }
    }

    /**
     * TSO wiring, the same for interpreted and generated pipelines: the encrypt stage a {@code gso} stage hands its
     * super-packets to whole, or null when the gso stage segments them itself. That is the next encrypt stage after
     * it when it names ({@code encrypt offload X}) a target of type {@code nic} with {@code tso}.
     */
    public static org.espline.dsl.espline.EncryptStage tsoEncryptAfter(org.espline.dsl.espline.GsoStage g) {
        if (!(g.eContainer() instanceof org.espline.dsl.espline.Pipeline p)) {
            return null;
        }
        List<org.espline.dsl.espline.Stage> stages = p.getStages();
        for (int i = stages.indexOf(g) + 1; i < stages.size(); i++) {
            if (stages.get(i) instanceof org.espline.dsl.espline.EncryptStage e) {
                return e.getCrypto() instanceof org.espline.dsl.espline.OffloadRef r && r.getOffload() != null
                        && !r.getOffload().eIsProxy() && r.getOffload().getKind() == org.espline.dsl.espline.OffloadKind.NIC
                        && r.getOffload().isTso() ? e : null;
            }
        }
        return null;
    }

    /** TSO wiring: the {@code gso} stage that hands super-packets to {@code e} whole ({@link #tsoEncryptAfter}), or null. */
    public static org.espline.dsl.espline.GsoStage tsoGsoBefore(org.espline.dsl.espline.EncryptStage e) {
        if (!(e.eContainer() instanceof org.espline.dsl.espline.Pipeline p)) {
            return null;
        }
        for (org.espline.dsl.espline.Stage s : p.getStages()) {
            if (s instanceof org.espline.dsl.espline.GsoStage g && tsoEncryptAfter(g) == e) {
                return g;
            }
        }
        return null;
    }

    static OffloadDevice create(Offload o) {
        Set<String> algorithms = new LinkedHashSet<>();
        for (AeadName a : o.getAeadAlgorithms()) {
            algorithms.add(a.getLiteral());
        }
        for (CipherName c : o.getCipherAlgorithms()) {
            algorithms.add(c.getLiteral());
        }
        for (IntegrityName i : o.getIntegrityAlgorithms()) {
            algorithms.add(i.getLiteral());
        }
        String type = ModelSas.absent(o, EsplinePackage.Literals.OFFLOAD__KIND) ? "software" : o.getKind().getLiteral();
        return OffloadDevices.create(o.getName(), type, algorithms, o.getSaTableSize(), o.getLatencyMicros(),
                o.getWorkers(), o.getRingSize(), false, o.isTso());
    }
}
