import { AsSent, asSentProperties } from './as-sent.decorator';

class Body {
  @AsSent()
  payload?: unknown;

  topic?: string;
}

class Extended extends Body {
  @AsSent()
  extra?: unknown;
}

describe('AsSent', () => {
  it('lists the marked properties of a class', () => {
    expect(asSentProperties(Body)).toEqual(['payload']);
  });

  it('lists those of the classes it extends too', () => {
    expect(asSentProperties(Extended).sort()).toEqual(['extra', 'payload']);
  });

  it.each([[Object], [undefined], [String]])('lists none for %p', (type) => {
    expect(asSentProperties(type)).toEqual([]);
  });
});
