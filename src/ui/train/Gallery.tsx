/** Recent rollouts (each group's best and worst) with their rewards; a click opens the full trajectory in the playground. */
import { openRollout } from './train-actions';
import { useSquint } from '../store';

export function Gallery() {
  const gallery = useSquint((s) => s.gallery);
  if (!gallery.length) return null;
  return (
    <section className="card gallery" aria-label="Recent rollouts">
      <h3>Recent rollouts <span className="muted small">(each group's best and worst; click to see the whole trajectory)</span></h3>
      <ul>
        {gallery.map((g) => (
          <li key={g.key}>
            <button type="button" className={`rollout ${g.reward > 0 ? 'good' : 'bad'}`} onClick={() => void openRollout(g.key)} data-testid="rollout"
              title={`Advantage ${g.advantage.toFixed(2)}`}>
              <span className="reward" data-testid="rollout-reward">{g.reward >= 0 ? '+' : ''}{g.reward.toFixed(2)}</span>
              <span className="q">{g.question}</span>
              <span className="muted small">
                step {g.step} · {g.family} · answered <strong>{g.answer ?? '(nothing)'}</strong>, expected <strong>{g.truth}</strong>
                {' '}· {g.zooms} zoom{g.zooms === 1 ? '' : 's'}{g.formatValid ? '' : ' · format error'}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
